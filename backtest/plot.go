package backtest

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	colPrice = color.RGBA{R: 60, G: 60, B: 70, A: 255}
	colBuy   = color.RGBA{R: 0, G: 150, B: 60, A: 255}
	colSell  = color.RGBA{R: 210, G: 30, B: 30, A: 255}
	colHold  = color.RGBA{R: 140, G: 140, B: 150, A: 255}
	colEq    = color.RGBA{R: 20, G: 90, B: 200, A: 255}
	colDD    = color.RGBA{R: 200, G: 40, B: 40, A: 255}
)

// maxPoints bounds the points of a drawn line: longer series keep the first, minimum,
// maximum and last value of each bucket, so the shape (spikes included) survives.
const maxPoints = 4000

// decimate returns the line points of y over the times t (Unix ms → seconds).
func decimate(t []int64, y []float64) plotter.XYs {
	n := len(y)
	if n <= maxPoints {
		out := make(plotter.XYs, n)
		for i := range y {
			out[i] = plotter.XY{X: float64(t[i]) / 1000, Y: y[i]}
		}
		return out
	}
	buckets := maxPoints / 2
	out := make(plotter.XYs, 0, maxPoints+2)
	for b := range buckets {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		imin, imax := lo, lo
		for i := lo; i < hi; i++ {
			if y[i] < y[imin] {
				imin = i
			}
			if y[i] > y[imax] {
				imax = i
			}
		}
		for _, i := range []int{min(imin, imax), max(imin, imax)} {
			out = append(out, plotter.XY{X: float64(t[i]) / 1000, Y: y[i]})
		}
	}
	return out
}

func newPlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Y.Label.Text = ylabel
	p.Title.Padding = vg.Points(6)
	p.X.Tick.Marker = calendarTicks{}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	return p
}

func line(xy plotter.XYs, c color.Color, width float64) *plotter.Line {
	l, _ := plotter.NewLine(xy) // the points are finite by construction
	l.Color = c
	l.Width = vg.Points(width)
	return l
}

func markers(xy plotter.XYs, c color.Color, shape draw.GlyphDrawer) *plotter.Scatter {
	s, _ := plotter.NewScatter(xy)
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3.5), Shape: shape}
	return s
}

// PricePNG draws the close with the trades' entries (green up triangles) and exits (red down
// triangles) at their fill prices.
func PricePNG(w io.Writer, bars *Bars, trades []Trade, title string) error {
	p := newPlot(title, "price")
	p.Add(line(decimate(bars.Time, bars.Close), colPrice, 1))
	var buys, sells plotter.XYs
	for _, t := range trades {
		in := plotter.XY{X: float64(t.EntryTime) / 1000, Y: t.EntryPrice}
		out := plotter.XY{X: float64(t.ExitTime) / 1000, Y: t.ExitPrice}
		if t.Direction == Short {
			in, out = out, in
		}
		if t.Reason == ExitOpen {
			if t.Direction == Short {
				in = plotter.XY{X: math.NaN()}
			} else {
				out = plotter.XY{X: math.NaN()}
			}
		}
		if !math.IsNaN(in.X) {
			buys = append(buys, in)
		}
		if !math.IsNaN(out.X) {
			sells = append(sells, out)
		}
	}
	if len(buys) > 0 {
		s := markers(buys, colBuy, triangle{up: true})
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("buy (%d)", len(buys)), s)
	}
	if len(sells) > 0 {
		s := markers(sells, colSell, triangle{})
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("sell (%d)", len(sells)), s)
	}
	return savePNG(w, 14*vg.Inch, 6*vg.Inch, [][]*plot.Plot{{p}})
}

// triangle is a filled triangle glyph pointing up (buys) or down (sells).
type triangle struct{ up bool }

// DrawGlyph draws the glyph.
func (g triangle) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	dir := vg.Length(1)
	if !g.up {
		dir = -1
	}
	dx, dy := r*vg.Length(math.Cos(math.Pi/6)), r*vg.Length(math.Sin(math.Pi/6))
	var path vg.Path
	path.Move(vg.Point{X: pt.X, Y: pt.Y + dir*r})
	path.Line(vg.Point{X: pt.X - dx, Y: pt.Y - dir*dy})
	path.Line(vg.Point{X: pt.X + dx, Y: pt.Y - dir*dy})
	path.Close()
	c.SetColor(sty.Color)
	c.Fill(path)
}

// calendarTicks marks calendar boundaries (hours, days, weeks, months, years in UTC) on a
// time axis in Unix seconds, choosing the step that gives at most 14 labels.
type calendarTicks struct{}

// Ticks implements plot.Ticker.
func (calendarTicks) Ticks(lo, hi float64) []plot.Tick {
	type step struct {
		add    func(time.Time) time.Time
		floor  func(time.Time) time.Time
		format string
	}
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	month := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }
	steps := []step{
		{func(t time.Time) time.Time { return t.Add(time.Hour) }, func(t time.Time) time.Time { return t.Truncate(time.Hour) }, "01-02 15:04"},
		{func(t time.Time) time.Time { return t.Add(6 * time.Hour) }, day, "01-02 15:04"},
		{func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }, day, "2006-01-02"},
		{func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }, day, "2006-01-02"},
		{func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }, month, "2006-01"},
		{func(t time.Time) time.Time { return t.AddDate(0, 3, 0) }, month, "2006-01"},
		{func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }, func(t time.Time) time.Time { return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC) }, "2006"},
	}
	start, end := time.Unix(int64(lo), 0).UTC(), time.Unix(int64(hi), 0).UTC()
	for _, st := range steps {
		var ticks []plot.Tick
		for t := st.floor(start); !t.After(end) && len(ticks) <= 14; t = st.add(t) {
			if !t.Before(start) {
				ticks = append(ticks, plot.Tick{Value: float64(t.Unix()), Label: t.Format(st.format)})
			}
		}
		if len(ticks) <= 14 {
			return ticks
		}
	}
	return nil
}

// EquityPNG draws the equity against buy-and-hold, with the strategy's drawdown underneath.
func EquityPNG(w io.Writer, bars *Bars, equity []float64, start float64, title string) error {
	p := newPlot(title, "equity")
	bh := BuyHold(bars, start)
	hold := line(decimate(bars.Time, bh), colHold, 1)
	eq := line(decimate(bars.Time, equity), colEq, 1.4)
	p.Add(hold, eq)
	p.Legend.Add("strategy", eq)
	p.Legend.Add("buy and hold", hold)

	dd := make([]float64, len(equity))
	peak := math.Inf(-1)
	for i, v := range equity {
		peak = math.Max(peak, v)
		dd[i] = 100 * (v/peak - 1)
	}
	q := newPlot("", "drawdown %")
	q.Legend.Left = false
	pts := decimate(bars.Time, dd)
	// The area between zero and the drawdown line.
	area := append(plotter.XYs{{X: pts[0].X, Y: 0}}, pts...)
	area = append(area, plotter.XY{X: pts[len(pts)-1].X, Y: 0})
	if poly, err := plotter.NewPolygon(area); err == nil {
		poly.Color = color.RGBA{R: 240, G: 160, B: 160, A: 255}
		poly.LineStyle.Width = 0
		q.Add(poly)
	}
	q.Add(line(pts, colDD, 1))
	q.Y.Max = 0
	return savePNG(w, 14*vg.Inch, 8*vg.Inch, [][]*plot.Plot{{p}, {q}})
}

// savePNG draws the plots stacked (rows of one column, the first twice as tall) and writes a PNG.
func savePNG(w io.Writer, width, height vg.Length, rows [][]*plot.Plot) error {
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))
	dc := draw.New(img)
	if len(rows) == 1 {
		rows[0][0].Draw(draw.Crop(dc, vg.Points(4), -vg.Points(12), vg.Points(4), -vg.Points(6)))
	} else {
		// The first plot takes two thirds of the height: align three tiles and merge two.
		tiles := draw.Tiles{Rows: 3, Cols: 1, PadY: vg.Points(4), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(12)}
		grid := [][]*plot.Plot{rows[0], nil, rows[1]}
		grid[1] = []*plot.Plot{nil}
		cs := plot.Align(grid, tiles, dc)
		top := cs[0][0]
		top.Min.Y = cs[1][0].Min.Y
		rows[0][0].Draw(top)
		rows[1][0].Draw(cs[2][0])
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// heatGrid is a buy × sell grid of a metric, on index coordinates.
type heatGrid struct {
	xs, ys []float64
	z      [][]float64 // z[row][col]
}

func (g heatGrid) Dims() (c, r int)   { return len(g.xs), len(g.ys) }
func (g heatGrid) Z(c, r int) float64 { return g.z[r][c] }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

// HeatmapPNG draws the metric of every (buy, sell) threshold pair; other parameters are held
// at the chosen combination's values. With buy_sell_equal the sell axis is −buy (one row).
func HeatmapPNG(w io.Writer, ranked []Ranked, chosen Combo, metric string) error {
	get, err := metricOf(metric)
	if err != nil {
		return err
	}
	other := func(c Combo) bool {
		for i, p := range c.Params {
			q := chosen.Params[i]
			if p.Key != KeyBuy && p.Key != KeySell && (p.None != q.None || p.Value != q.Value) {
				return false
			}
		}
		return true
	}
	var g heatGrid
	index := func(vals *[]float64, v float64) int {
		for i, x := range *vals {
			if x == v {
				return i
			}
		}
		*vals = append(*vals, v)
		return len(*vals) - 1
	}
	type cell struct {
		c, r int
		v    float64
	}
	var cells []cell
	sellIsBuy := chosenSellNone(chosen)
	for _, rk := range ranked {
		if !other(rk.Combo) {
			continue
		}
		c := index(&g.xs, rk.Combo.Rule.Buy)
		sell := rk.Combo.Rule.Sell
		if sellIsBuy {
			sell = 0 // one row: the sell threshold is −buy in every cell
		}
		r := index(&g.ys, sell)
		cells = append(cells, cell{c, r, get(rk.Perf)})
	}
	// Sort the axes: rebuild indices over sorted values.
	sortedX, sortedY := sortedCopy(g.xs), sortedCopy(g.ys)
	pos := func(vals []float64, v float64) int {
		for i, x := range vals {
			if x == v {
				return i
			}
		}
		return -1
	}
	z := make([][]float64, len(sortedY))
	for r := range z {
		z[r] = make([]float64, len(sortedX))
		for c := range z[r] {
			z[r][c] = math.NaN()
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	var labels plotter.XYLabels
	for _, cl := range cells {
		c, r := pos(sortedX, g.xs[cl.c]), pos(sortedY, g.ys[cl.r])
		z[r][c] = cl.v
		lo, hi = math.Min(lo, cl.v), math.Max(hi, cl.v)
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(r)})
		labels.Labels = append(labels.Labels, cellLabel(cl.v))
	}
	g = heatGrid{xs: sortedX, ys: sortedY, z: z}
	// A diverging palette centred on zero: red for losses, blue for gains.
	span := math.Max(math.Max(math.Abs(lo), math.Abs(hi)), 1e-12)
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-span)
	cm.SetMax(span)
	pal := reversed(cm.Palette(64).Colors())
	hm := plotter.NewHeatMap(g, pal)
	hm.Min, hm.Max = -span, span
	hm.NaN = color.White
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s by buy × sell threshold (blue: gain, red: loss)", metric)
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = "buy threshold"
	p.Y.Label.Text = "sell threshold"
	p.X.Tick.Marker = indexTicks(g.xs)
	p.Y.Tick.Marker = indexTicks(g.ys)
	if sellIsBuy {
		p.Y.Label.Text = ""
		p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "sell = −buy"}}
	}
	p.Add(hm)
	if l, err := plotter.NewLabels(labels); err == nil {
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
			l.TextStyle[i].Font.Size = vg.Points(10)
		}
		p.Add(l)
	}
	w0 := vg.Length(max(6, 1.3*float64(len(g.xs))+2)) * vg.Inch
	h0 := vg.Length(max(4, 0.8*float64(len(g.ys))+2)) * vg.Inch
	return savePNG(w, w0, h0, [][]*plot.Plot{{p}})
}

func chosenSellNone(c Combo) bool {
	for _, p := range c.Params {
		if p.Key == KeySell {
			return p.None
		}
	}
	return false
}

type colors []color.Color

func (c colors) Colors() []color.Color { return c }

func reversed(cs []color.Color) colors {
	out := make(colors, len(cs))
	for i, c := range cs {
		out[len(cs)-1-i] = c
	}
	return out
}

func sortedCopy(x []float64) []float64 {
	out := slices.Clone(x)
	slices.Sort(out)
	return out
}

// indexTicks labels index coordinates 0..n-1 with the values.
func indexTicks(vals []float64) plot.ConstantTicks {
	t := make(plot.ConstantTicks, len(vals))
	for i, v := range vals {
		t[i] = plot.Tick{Value: float64(i), Label: strconv.FormatFloat(v, 'g', 10, 64)}
	}
	return t
}

// CheckMetric reports whether a heatmap metric name is known.
func CheckMetric(name string) error {
	_, err := metricOf(name)
	return err
}

// metricOf returns the Perf field a heatmap shows.
func metricOf(name string) (func(Perf) float64, error) {
	switch name {
	case "%profit/M", "":
		return func(p Perf) float64 { return p.PctProfitPerM }, nil
	case "%profit":
		return func(p Perf) float64 { return p.PctProfit }, nil
	case "profit":
		return func(p Perf) float64 { return p.Profit }, nil
	case "#transactions":
		return func(p Perf) float64 { return float64(p.Transactions) }, nil
	case "%profitable":
		return func(p Perf) float64 { return p.PctProfitable }, nil
	}
	return nil, fmt.Errorf("%w: heatmap metric %q: use %%profit/M, %%profit, profit, #transactions or %%profitable", ErrModel, name)
}

// cellLabel is a heatmap cell's value, 4 significant digits; a value rounded to zero from
// below (ITB's 2-decimal metrics give -0) reads 0, not -0.
func cellLabel(v float64) string {
	if v == 0 {
		v = 0 // drops the sign of -0
	}
	return fmt.Sprintf("%.4g", v)
}
