"""b12: an offline reference and lab-value interpreter for vitamin B12."""

__version__ = "0.7.0"
