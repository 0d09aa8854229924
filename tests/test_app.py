from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT


def test_home_page_starts_with_an_invitation_to_draw():
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()
    assert not app.exception
    assert app.title[0].value == "Draw a digit"
