"""Appeal analytics: hot topics (热点问题), spikes, trends and department performance."""
