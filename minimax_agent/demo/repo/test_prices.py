"""Run with `python3 -m unittest -v` (no pytest needed)."""

import unittest

from prices import total


class TotalTest(unittest.TestCase):
    def test_no_discount(self) -> None:
        self.assertEqual(total([2.5, 7.5]), 10.0)

    def test_ten_percent_off(self) -> None:
        self.assertEqual(total([20.0, 30.0], discount=0.1), 45.0)


if __name__ == "__main__":
    unittest.main()
