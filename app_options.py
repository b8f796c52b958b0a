"""What a session works on: the file (its bytes and identity) and the options chosen for it.

Both are frozen and hashable, so they key the app's shared caches (see :mod:`app_state`).
"""

from __future__ import annotations

from dataclasses import dataclass

import segmentation as sg

__all__ = ["Dataset", "PrepOptions"]


@dataclass(frozen=True)
class Dataset:
    """The file a user works on: its bytes (kept once per session) and identity."""

    name: str
    data: bytes
    digest: str
    is_sample: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} (built-in sample)" if self.is_sample else self.name


@dataclass(frozen=True)
class PrepOptions:
    """What the user chose on the upload page (hashable: it keys the caches).

    ``features=None`` means the core's choice; the column choices are those of
    :func:`segmentation.prepare.column_choices`, as tuples. ``log`` says how the file is read as
    customers (a transaction log is rolled up first, see :func:`segmentation.roll_up_if_log`).
    """

    features: tuple[str, ...] | None = None
    scaler: str = "standard"
    outliers: str = "keep"
    weighting: str = "balanced"
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    transforms: tuple[tuple[str, str], ...] = ()
    log: sg.LogOptions = sg.LogOptions()

    @classmethod
    def from_choices(cls, choices: dict, **options) -> PrepOptions:
        """Options from :func:`segmentation.prepare.column_choices` plus the page's other options."""
        return cls(
            features=choices["features"],
            categorical=tuple(choices["categorical"]),
            numeric=tuple(choices["numeric"]),
            ignore=tuple(choices["ignore"]),
            transforms=tuple(sorted(choices["transforms"].items())),
            **options,
        )

    def prepare_options(self) -> dict:
        """These options as :func:`segmentation.prepare` takes them."""
        return dict(
            features=self.features,
            scaler=self.scaler,
            outliers=self.outliers,
            weighting=self.weighting,
            categorical=self.categorical,
            numeric=self.numeric,
            ignore=self.ignore,
            transforms=dict(self.transforms),
        )
