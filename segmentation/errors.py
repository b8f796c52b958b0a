"""The one exception raised for problems in the user's data.

Everything the user can fix in their file (an empty upload, a wrong separator, a column of text where
numbers were expected, a K larger than the number of customers) is reported as a :class:`DataError`
whose message says what is wrong and what to do. The app shows it with ``st.error``; the command line
prints it as one ``error: ...`` line and exits with code 2. Any other exception is a bug.
"""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """A problem in the user's data, with a message a marketer can act on.

    Examples
    --------
    >>> raise DataError("The file is empty. Export the customer table again and upload it.")
    Traceback (most recent call last):
    ...
    segmentation.errors.DataError: The file is empty. Export the customer table again and upload it.
    """
