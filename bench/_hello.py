"""The NOTES.md ceiling app: Flask returning a small JSON object (bench/calibrate.py serves it)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The smallest useful JSON answer."""
    return {"hello": "world"}
