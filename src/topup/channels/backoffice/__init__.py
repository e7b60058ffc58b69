"""The back office (/backoffice/): customer service, disputes, compliance, finance, dashboards."""
