"""The Streamlit dashboard: thin pages over the core's query functions and figure builders."""
