"""Files made from the views (no Streamlit): PNG images of the figures (`png`), the PowerPoint presentation
(`pptx`) and the QR code of a view's address (`qr`). Everything is rendered locally: no network, no download."""
