"""Order totals for a small shop."""


def total(prices: list[float], discount: float = 0.0) -> float:
    """The sum of `prices` less `discount` (0.1 is 10 % off), to the cent."""
    subtotal = sum(prices)
    return round(subtotal * discount, 2)
