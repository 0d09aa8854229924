"""Streamlit helpers shared by the pages: cached models and the sidebar. UI only; the logic
lives in mnist_core."""
