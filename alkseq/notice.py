"""The research-use sentence every report carries; one place, imported by engine and writers."""

RESEARCH_USE = ("Research use only: decision support for experts, not a medical device; "
                "verify every suggestion against the cited sources and current guidelines.")
