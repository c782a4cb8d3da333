"""Metrics shared by forecasting and recommendations: pure functions over arrays, thin frame wrappers."""
