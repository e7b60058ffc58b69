"""channels backoffice."""
