"""codeconn: AWS CodeStar Connections / CodeConnections and the IAM model that guards it."""

__version__ = "0.1.0"
