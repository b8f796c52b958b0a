"""The one exception raised for problems in the user's data.

Everything the user can fix in their file (an empty upload, a wrong separator, a column of text where
numbers were expected, a K larger than the number of customers) is reported as a :class:`DataError`
whose message says what is wrong and what to do. The app shows it with ``st.error``; the command line
prints it as one ``error: ...`` line and exits with code 2. Any other exception is a bug.
"""

from __future__ import annotations

from .wording import middle_clipped

__all__ = ["MAX_MESSAGE_CHARS", "DataError"]

#: A message is cut in the middle to this many characters. Messages quote the user's names, and a
#: name can be a 50 MB header line: the start (what is wrong) and the end (what to do) stay.
MAX_MESSAGE_CHARS = 600


class DataError(ValueError):
    """A problem in the user's data, with a message a marketer can act on.

    The message is at most :data:`MAX_MESSAGE_CHARS` characters, whatever the names quoted in it.

    Examples
    --------
    >>> raise DataError("The file is empty. Export the customer table again and upload it.")
    Traceback (most recent call last):
    ...
    segmentation.errors.DataError: The file is empty. Export the customer table again and upload it.
    """

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(middle_clipped(str(message), MAX_MESSAGE_CHARS), *args)
