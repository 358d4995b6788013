"""Tests of the book's figure style, plotting helpers and interactive-figure builders."""

import io
import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import raetut as rt  # noqa: E402
from raetut import plotting, widgets  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture(autouse=True)
def restore_rcparams():
    with matplotlib.rc_context():
        yield


def _draw_sine(calls):
    def draw(fig, value):
        calls.append(value)
        ax = fig.add_subplot()
        x = np.linspace(0.0, 1.0, 20)
        ax.plot(x, np.sin(value * x))

    return draw


# --- style -------------------------------------------------------------------------


def test_use_book_style_sets_rcparams():
    matplotlib.rcdefaults()
    before_cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    plotting.use_book_style()
    params = matplotlib.rcParams
    assert params["axes.prop_cycle"].by_key()["color"] == list(plotting.PALETTE)
    assert params["axes.prop_cycle"].by_key()["color"] != before_cycle
    assert params["savefig.bbox"] == "tight"
    assert tuple(params["figure.figsize"]) == (6.4, 3.6)
    assert params["axes.grid"] is True


def test_colors_cover_the_book_roles_and_are_valid():
    from matplotlib.colors import is_color_like

    for role in ("density", "score", "dae", "rcae", "estimate", "data", "reference"):
        assert is_color_like(plotting.COLORS[role])
    assert len(set(plotting.PALETTE)) == len(plotting.PALETTE)


def test_names_available_from_package():
    assert rt.plot_density_1d is plotting.plot_density_1d
    assert rt.static_slider is widgets.static_slider


# --- 1-D helpers -------------------------------------------------------------------


class _Normal:
    def prob(self, X):
        return np.exp(-0.5 * X[:, 0] ** 2) / np.sqrt(2 * np.pi)


def test_plot_density_1d_accepts_object_callable_and_values(ax):
    x = np.linspace(-3, 3, 40)
    values = _Normal().prob(x[:, None])
    plotting.plot_density_1d(ax, _Normal(), x)
    plotting.plot_density_1d(ax, lambda X: _Normal().prob(X), x, fill=False)
    plotting.plot_density_1d(ax, values, x, label="values")
    lines = ax.get_lines()
    assert len(lines) == 3
    for line in lines:
        np.testing.assert_allclose(line.get_ydata(), values)
    assert len(ax.collections) == 2  # two fills


def test_plot_density_1d_rejects_bad_input(ax):
    x = np.linspace(-1, 1, 10)
    with pytest.raises(ValueError, match="density"):
        plotting.plot_density_1d(ax, np.ones(9), x)
    with pytest.raises(ValueError, match="non-negative"):
        plotting.plot_density_1d(ax, -np.ones(10), x)
    with pytest.raises(ValueError, match=r"x must have shape \(m,\) or \(m, 1\)"):
        plotting.plot_density_1d(ax, np.ones((10, 2)), np.ones((10, 2)))
    with pytest.raises(TypeError, match="ax"):
        plotting.plot_density_1d("not an axes", np.ones(10), x)


def test_plot_field_1d_draws_field_and_zero_line(ax):
    x = np.linspace(-1, 1, 15)
    plotting.plot_field_1d(ax, x, (-x)[:, None], label="field")
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "field"]
    np.testing.assert_allclose(line.get_ydata(), -x)
    assert len(ax.get_lines()) == 2
    with pytest.raises(ValueError, match="field"):
        plotting.plot_field_1d(ax, x, np.zeros(14))
    with pytest.raises(ValueError, match="NaN"):
        plotting.plot_field_1d(ax, x, np.full(15, np.nan))


def test_plot_field_arrows_1d_draws_scaled_horizontal_arrows(ax):
    x = np.linspace(-1, 1, 7)
    plotting.plot_field_arrows_1d(ax, x, -x, y=np.exp(-(x**2)), scale=2.0)
    (quiver,) = ax.collections
    np.testing.assert_allclose(quiver.U, -2.0 * x)
    np.testing.assert_allclose(quiver.V, 0.0)
    np.testing.assert_allclose(quiver.Y, np.exp(-(x**2)))
    with pytest.raises(ValueError, match="scale"):
        plotting.plot_field_arrows_1d(ax, x, -x, scale=0.0)
    with pytest.raises(ValueError, match="y"):
        plotting.plot_field_arrows_1d(ax, x, -x, y=np.zeros(3))


def test_mark_critical_points_1d_and_2d(ax):
    plotting.mark_critical_points(ax, [-1.0, 1.0], [0.0])
    assert len(ax.get_lines()) == 3
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels.count("mode") == 1 and labels.count("antimode") == 1
    plotting.mark_critical_points(ax, np.zeros((2, 2)), [])
    assert len(ax.get_lines()) == 5
    plotting.mark_critical_points(ax, [0.5], [1.5], labels=("top", "bottom"))
    assert [ln.get_label() for ln in ax.get_lines()][-2:] == ["top", "bottom"]
    plotting.mark_critical_points(ax, [0.5], [1.5], labels=False)
    assert all(ln.get_label().startswith("_") for ln in ax.get_lines()[-2:])
    with pytest.raises(TypeError, match="labels"):
        plotting.mark_critical_points(ax, [0.5], [1.5], labels="top")
    with pytest.raises(ValueError, match="modes"):
        plotting.mark_critical_points(ax, np.zeros((2, 3)), [])
    with pytest.raises(ValueError, match="both"):
        plotting.mark_critical_points(ax, [0.0], np.zeros((1, 2)))


# --- 2-D and log-log helpers --------------------------------------------------------


def test_plot_vector_field_2d_draws_arrows_over_density(ax):
    X, Y = np.meshgrid(np.linspace(-1, 1, 6), np.linspace(-1, 1, 5))
    P = np.exp(-(X**2 + Y**2))
    plotting.plot_vector_field_2d(ax, X, Y, -X, -Y, density=P, normalize=True)
    kinds = {type(c).__name__ for c in ax.collections}
    assert "Quiver" in kinds
    assert len(ax.collections) >= 2  # the filled contours and the arrows
    quiver = [c for c in ax.collections if type(c).__name__ == "Quiver"][0]
    np.testing.assert_allclose(np.hypot(quiver.U, quiver.V)[1:], 1.0)  # unit arrows


def test_plot_vector_field_2d_rejects_bad_shapes(ax):
    X, Y = np.meshgrid(np.linspace(-1, 1, 6), np.linspace(-1, 1, 5))
    with pytest.raises(ValueError, match="U"):
        plotting.plot_vector_field_2d(ax, X, Y, np.zeros((4, 6)), Y)
    with pytest.raises(ValueError, match="density"):
        plotting.plot_vector_field_2d(ax, X, Y, X, Y, density=np.ones((2, 2)))
    with pytest.raises(ValueError, match="X"):
        plotting.plot_vector_field_2d(ax, X[0], Y, X, Y)


def test_plot_loglog_fit_shows_fitted_slope(ax):
    h = np.array([0.1, 0.2, 0.4, 0.8])
    err = 3.0 * h**2
    fit = SimpleNamespace(slope=2.0, constant=3.0)
    plotting.plot_loglog_fit(ax, h, err, fit=fit, label="error", reference_slope=1)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert "error" in labels
    assert any(re.search(r"slope 2\.00", lab) for lab in labels)
    fit_line = [ln for ln in ax.get_lines() if "fit" in ln.get_label()][0]
    xs, ys = fit_line.get_xdata(), fit_line.get_ydata()
    np.testing.assert_allclose(ys, 3.0 * xs**2)


def test_plot_loglog_fit_rejects_bad_input(ax):
    h = np.array([0.1, 0.2])
    with pytest.raises(ValueError, match="err"):
        plotting.plot_loglog_fit(ax, h, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_loglog_fit(ax, h, np.array([1.0]))
    with pytest.raises(TypeError, match="slope"):
        plotting.plot_loglog_fit(ax, h, np.array([1.0, 2.0]), fit=object())


# --- widgets ---------------------------------------------------------------------


def test_static_slider_one_frame_per_value_and_a_range_input():
    calls = []
    values = [0.5, 1.0, 2.0]
    html = widgets.static_slider(_draw_sine(calls), values, label="a", figsize=(3, 2), dpi=40)
    assert calls == values  # draw called exactly once per value, in order
    assert html.data.count("data:image/png;base64") == len(values)
    assert re.search(r'<input[^>]*type="range"', html.data)
    assert plt.get_fignums() == []  # the figure was closed: no extra static image


def test_static_slider_jpeg_frames_and_pair_labels():
    calls = []
    pairs = [(1.0, 2), (2.0, 3)]
    html = widgets.static_slider(
        lambda fig, v: _draw_sine(calls)(fig, v[0] * v[1]),
        pairs,
        fmt=lambda v: f"a={v[0]}, n={v[1]}",
        figsize=(3, 2),
        dpi=40,
        frame_format="jpeg",
    )
    assert html.data.count("data:image/jpeg;base64") == 2
    assert calls == [2.0, 6.0]


def test_static_slider_shows_value_in_title(monkeypatch):
    titles = []

    def draw(fig, value):
        fig.add_subplot()

    original = widgets._draw_frame

    def spy(draw, fig, value, title):
        original(draw, fig, value, title)
        titles.append(fig.get_suptitle())

    monkeypatch.setattr(widgets, "_draw_frame", spy)
    widgets.static_slider(draw, [0.25, 1.5], label="sigma", figsize=(2, 2), dpi=30)
    assert titles == ["sigma = 0.25", "sigma = 1.5"]


def test_live_slider_has_one_option_per_value():
    calls = []
    values = np.array([0.1, 0.2, 0.3, 0.4])
    widget = widgets.live_slider(_draw_sine(calls), values, label="sigma", value=0.3)
    plt.close("all")
    slider = widget.children[0]
    assert len(slider.options) == len(values)
    assert slider.description == "sigma"
    assert calls == [0.3]  # drawn once, at the initial value
    slider.value = 1
    assert calls[-1] == 0.2


def test_live_slider_shows_a_new_png_when_moved():
    widget = widgets.live_slider(_draw_sine([]), [1.0, 5.0], label="k", figsize=(5, 3), dpi=90)
    slider, image, status = widget.children
    assert image.width == "450"  # shown at the frame's own size, not stretched to the cell
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG")
    slider.value = 1
    assert bytes(image.value).startswith(b"\x89PNG")
    assert bytes(image.value) != first
    assert status.value == ""


def test_live_slider_reports_a_failing_draw_beside_the_slider():
    def draw(fig, value):
        if value > 1:
            raise RuntimeError("no frame for this value")
        fig.add_subplot().plot([0, value])

    widget = widgets.live_slider(draw, [1.0, 2.0], label="k")
    slider, image, status = widget.children
    before = bytes(image.value)
    slider.value = 1
    assert "no frame for this value" in status.value and "k = 2" in status.value
    assert bytes(image.value) == before
    slider.value = 0
    assert status.value == ""


def test_live_slider_sends_no_output_widget_traffic():
    # Output widgets make nbclient (the book build) answer each captured output with a
    # message to the kernel, which can stall a headless execution.
    import ipywidgets

    widget = widgets.live_slider(_draw_sine([]), [1.0, 2.0])
    assert not any(isinstance(child, ipywidgets.Output) for child in widget.children)


@pytest.mark.parametrize("builder", [widgets.static_slider, widgets.live_slider])
def test_widgets_reject_bad_input(builder):
    draw = _draw_sine([])
    with pytest.raises(ValueError, match="values"):
        builder(draw, [])
    with pytest.raises(TypeError, match="draw"):
        builder("not callable", [1.0])
    with pytest.raises(TypeError, match="values"):
        builder(draw, 3.0)
    with pytest.raises(TypeError, match="fmt"):
        builder(draw, [1.0], fmt=3)
    with pytest.raises(ValueError, match="figsize"):
        builder(draw, [1.0], figsize=(0, 2))


def test_static_slider_rejects_unknown_frame_format():
    with pytest.raises(ValueError, match="frame_format"):
        widgets.static_slider(_draw_sine([]), [1.0], frame_format="gif")


def test_live_slider_rejects_value_not_in_values():
    with pytest.raises(ValueError, match="value"):
        widgets.live_slider(_draw_sine([]), [1.0, 2.0], value=3.0)


def test_static_slider_player_loads_nothing_from_the_network():
    html = widgets.static_slider(lambda fig, v: fig.add_subplot().plot([0, v]), [1.0, 2.0]).data
    assert "<input" in html
    assert re.search(r"(href|src)=[\"']https?://", html) is None


# --- static slider: print picture, description, accessibility ----------------------


def test_static_slider_bundle_has_player_print_picture_and_description():
    import base64

    result = widgets.static_slider(
        _draw_sine([]), np.linspace(0.05, 1.0, 9), label="sigma", fmt="{:.3g}",
        figsize=(3, 2), dpi=40, print_dpi=50,
    )
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert bundle["text/html"] == result.data
    assert re.search(r'<input[^>]*type="range"', bundle["text/html"])
    png = base64.b64decode(bundle["image/png"])
    assert png == result.png and png.startswith(b"\x89PNG")
    picture = plt.imread(io.BytesIO(png), format="png")
    # four frames of 150 x 100 pixels in a 2 x 2 grid with 12-pixel gaps
    assert picture.shape[:2] == (2 * 100 + 12, 2 * 150 + 12)
    assert bundle["text/plain"] == "Slider over sigma: 9 frames, 0.05 to 1"
    assert repr(result) == bundle["text/plain"]


def test_static_slider_description_is_deterministic_and_plain():
    def make():
        return widgets.static_slider(
            lambda fig, v: _draw_sine([])(fig, v[0] * v[1]),
            [(1.0, 2), (2.0, 3)],
            label=r"$\sigma$",
            fmt=lambda v: f"{v[0]}/{v[1]}", figsize=(2, 2), dpi=30,
        )

    first, second = make(), make()
    assert first.text == second.text == "Slider over sigma: 2 frames, 1.0/2 to 2.0/3"
    assert first.data != second.data  # the player's element ids are random; nbval ignores them


def test_static_slider_print_picture_shows_evenly_chosen_titled_frames(monkeypatch):
    titles = []
    original = widgets._figure_rgba

    def spy(fig, dpi):
        titles.append(fig.get_suptitle())
        return original(fig, dpi)

    monkeypatch.setattr(widgets, "_figure_rgba", spy)
    calls = []
    values = [0.1 * k for k in range(1, 10)]
    widgets.static_slider(_draw_sine(calls), values, label="a", fmt="{:.1f}",
                          figsize=(2, 2), dpi=30, print_frames=4, print_dpi=30)
    assert calls == values  # still one draw per value
    assert titles == ["a = 0.1", "a = 0.4", "a = 0.6", "a = 0.9"]


@pytest.mark.parametrize(
    ("n", "k", "expected"),
    [(9, 4, [0, 3, 5, 8]), (2, 4, [0, 1]), (1, 4, [0]), (7, 3, [0, 3, 6]), (6, 6, list(range(6)))],
)
def test_print_frames_are_spread_over_the_values(n, k, expected):
    assert widgets._evenly_chosen(n, k) == expected


@pytest.mark.parametrize(("k", "shape"), [(1, (20, 30)), (3, (20, 3 * 30 + 24)),
                                           (5, (2 * 20 + 12, 3 * 30 + 24))])
def test_print_grid_layout(k, shape):
    frames = [np.full((20, 30, 4), 0.5) for _ in range(k)]
    picture = plt.imread(io.BytesIO(widgets._grid_png(frames)), format="png")
    assert picture.shape[:2] == shape


def test_static_slider_player_is_labelled_and_its_image_described():
    default = widgets.static_slider(_draw_sine([]), [0.5, 2.0], label=r"$\sigma$",
                                    figsize=(2, 2), dpi=30).data
    assert re.search(r'<input[^>]*aria-label="Choose sigma"[^>]*type="range"', default)
    alt = re.search(r'<img[^>]*alt="([^"]*)"', default).group(1)
    assert "sigma = 0.5" in alt and "sigma = 2" in alt
    given = widgets.static_slider(_draw_sine([]), [0.5, 2.0], label="k", figsize=(2, 2), dpi=30,
                                  alt='A sine whose "frequency" k grows & bends the curve.').data
    assert 'alt="A sine whose &quot;frequency&quot; k grows &amp; bends the curve."' in given


def test_static_slider_rejects_bad_print_and_alt_arguments():
    draw = _draw_sine([])
    for bad, error in ((0, ValueError), (7, ValueError), (2.5, TypeError)):
        with pytest.raises(error, match="print_frames"):
            widgets.static_slider(draw, [1.0, 2.0], print_frames=bad)
    with pytest.raises(ValueError, match="print_dpi"):
        widgets.static_slider(draw, [1.0, 2.0], print_dpi=0)
    with pytest.raises(TypeError, match="alt"):
        widgets.static_slider(draw, [1.0, 2.0], alt=3)
    with pytest.raises(ValueError, match="alt"):
        widgets.static_slider(draw, [1.0, 2.0], alt="  ")
