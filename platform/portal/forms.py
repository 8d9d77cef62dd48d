from __future__ import annotations

from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Your submission",
        help_text="A .py file, a .zip of your folder, or a .ipynb notebook.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".py,.zip,.ipynb", "aria-describedby": "file-help"}
        ),
    )
