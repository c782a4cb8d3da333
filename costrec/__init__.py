"""Infrastructure shared by the forecasting and recsys applications: atomic outputs and the demo."""
