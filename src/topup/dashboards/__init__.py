"""Operations dashboards: figures read from the other apps, and their charts."""
