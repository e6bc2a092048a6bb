# The optimal 4-wire network (5 comparators, depth 3).
COMPARATORS = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)]
