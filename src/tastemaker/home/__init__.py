"""The home screen: shelves ("Because you listened to X", "More of your top tag Y", "Popular with
your friends", "New for you") of cards chosen by BaRT, logged with their propensities.

>>> from tastemaker.home import HomeScreen, default_bart_path
>>> screen = HomeScreen.from_store(store, bundle, default_bart_path("models"))  # doctest: +SKIP
>>> home = screen.build(store, "2")                                          # doctest: +SKIP
>>> [(s.title, [c.name for c in s.cards]) for s in home.shelves]              # doctest: +SKIP
>>> HomeScreen.stream(store, "2", home.page_id, home.shelves[0].cards[0].item_id)  # doctest: +SKIP
"""

from tastemaker.home._home import DEFAULT_LAYOUT, Card, Home, HomeScreen, HomeShelf, default_bart_path, retrain

__all__ = ["Card", "HomeShelf", "Home", "HomeScreen", "DEFAULT_LAYOUT", "default_bart_path", "retrain"]
