"""Who is calling, and may they: access keys to principals, and IAM decisions for calls."""
