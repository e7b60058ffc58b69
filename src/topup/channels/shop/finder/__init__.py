"""The public shop finder and visit booking under /shops/."""
