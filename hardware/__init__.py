"""Badge readers and GPIO outputs/inputs, each behind a small interface.

Every backend has a simulated twin of the same shape, chosen by configuration
and passed in explicitly: nothing above this package knows which reader or
board is fitted.
"""
