"""alkseq's version, alone in a module so that anything can read it without importing the package's API."""
__version__ = "0.1.0"
