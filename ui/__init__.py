"""User interfaces: the `auskunft` command and the Streamlit app."""
