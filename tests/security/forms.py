"""Find the forms our pages render: every <form method=post> with the fields it declares."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # text, checkbox, select, textarea, hidden, ...
    default: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    fields: dict[str, Field] = field(default_factory=dict)
    found_on: str = ""


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None
        self._other_actions: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                self._form = Form(action=attrs.get("action") or self.page, found_on=self.page)
            return
        if tag == "button" and self._form is not None and attrs.get("formaction"):
            self._other_actions.append(attrs["formaction"])  # the same fields, sent elsewhere
            return
        if tag == "option" and self._select is not None:
            self._select.options.append(attrs.get("value", ""))
            return
        if self._form is None or not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            known = self._form.fields.get(name)
            if known is not None:  # radio buttons and checkbox lists: one field, many values
                known.options.append(attrs.get("value", "on"))
                return
            value = attrs.get("value", "on" if kind in ("checkbox", "radio") else "")
            self._form.fields[name] = Field(name, kind, value, [value])
        elif tag == "select":
            self._select = self._form.fields.setdefault(name, Field(name, "select"))
        elif tag == "textarea":
            self._textarea = self._form.fields.setdefault(name, Field(name, "textarea"))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.default += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            for action in self._other_actions:
                self.forms.append(Form(action, dict(self._form.fields), self.page))
            self._form, self._other_actions = None, []
        elif tag == "select" and self._select is not None:
            if self._select.options and not self._select.default:
                self._select.default = self._select.options[0]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(page_path: str, html: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms
