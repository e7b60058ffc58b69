"""The shop channel: the agent console (/shop/) and the public shop finder (/shops/)."""
