"""wire: AWS protocols and signatures; translates only."""
