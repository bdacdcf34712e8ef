package diagram

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"time"

	"git.sr.ht/~sbinet/gg"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Mark is one transaction drawn on the price: a buy (green up triangle) or a sell (red down
// triangle) at Price, in the resampled bar that holds Time (Unix ms).
type Mark struct {
	Time  int64
	Price float64
	Buy   bool
}

// Chart holds the diagram's labels and size.
type Chart struct {
	// Symbol and Description make the title "SYMBOL: description".
	Symbol, Description string
	// Thresholds are drawn as light-gray lines on the score panel (score_thresholds).
	Thresholds []float64
	// Width and Height default to 12×6 inches (ITB's figure size); DPI defaults to 100.
	Width, Height vg.Length
	DPI           int
}

var (
	colBand   = color.NRGBA{R: 135, G: 206, B: 235, A: 102} // skyblue, alpha 0.4
	colClose  = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	colBuy    = color.NRGBA{R: 0, G: 160, B: 0, A: 170}
	colSell   = color.NRGBA{R: 220, G: 0, B: 0, A: 170}
	colScore  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	colThresh = color.RGBA{R: 211, G: 211, B: 211, A: 255}
	colZero   = color.RGBA{R: 90, G: 90, B: 90, A: 255}
	colMAs    = []color.Color{color.RGBA{R: 255, G: 127, B: 14, A: 255}, color.RGBA{R: 148, G: 103, B: 189, A: 255},
		color.RGBA{R: 44, G: 160, B: 44, A: 255}}
)

// PNG draws s (already resampled and cut to nrows) with marks as a PNG: the high–low band,
// the close as a mid-step line and the trades on the upper panel; the score (mid-step), its
// moving averages, the zero line and the thresholds on the lower panel. Marks outside the
// series' time span are skipped. The picture depends only on its inputs.
func PNG(w io.Writer, s *Series, marks []Mark, c Chart) error {
	if err := s.Check(); err != nil {
		return err
	}
	if s.Len() == 0 {
		return fmt.Errorf("%w: no rows to draw", ErrSeries)
	}
	if c.Width == 0 {
		c.Width = 12 * vg.Inch
	}
	if c.Height == 0 {
		c.Height = 6 * vg.Inch
	}
	if c.DPI == 0 {
		c.DPI = 100
	}
	step := int64(60_000)
	if s.Len() > 1 {
		step = s.Time[1] - s.Time[0]
	}
	price, err := pricePlot(s, marks, step, c)
	if err != nil {
		return err
	}
	score, err := scorePlot(s, c.Thresholds)
	if err != nil {
		return err
	}
	x0, x1 := sec(s.Time[0])-float64(step)/2000, sec(s.Time[s.Len()-1])+float64(step)/2000
	for _, p := range []*plot.Plot{price, score} {
		p.X.Min, p.X.Max = x0, x1
		p.X.Tick.Marker = clockTicks{}
		p.Add(plotter.NewGrid())
	}
	img := canvas(c)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 3, Cols: 1, PadY: vg.Points(2), PadTop: vg.Points(4), PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(12)}
	cs := plot.Align([][]*plot.Plot{{price}, {nil}, {score}}, tiles, dc)
	top := cs[0][0]
	top.Min.Y = cs[1][0].Min.Y
	price.Draw(top)
	score.Draw(cs[2][0])
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// canvas is a white c.Width×c.Height canvas at c.DPI drawn straight into one RGBA image
// (vgimg.NewWith's own image is copied once more by gg: 2.9 MB more at the render's peak).
func canvas(c Chart) *vgimg.Canvas {
	px := func(l vg.Length) int { return int(l/vg.Inch*vg.Length(c.DPI) + 0.5) }
	rgba := image.NewRGBA(image.Rect(0, 0, px(c.Width), px(c.Height)))
	ctx := gg.NewContextForRGBA(rgba)
	ctx.SetLineCapButt()
	ctx.InvertY()
	return vgimg.NewWith(vgimg.UseImageWithContext(rgba, ctx), vgimg.UseDPI(c.DPI))
}

func sec(ms int64) float64 { return float64(ms) / 1000 }

// pricePlot is the upper panel.
func pricePlot(s *Series, marks []Mark, step int64, c Chart) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Symbol
	if c.Description != "" {
		p.Title.Text += ": " + c.Description
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Y.Label.Text = "price"
	n := s.Len()
	band := make(plotter.XYs, 0, 2*n)
	closes := make(plotter.XYs, n)
	for i := range n {
		band = append(band, plotter.XY{X: sec(s.Time[i]), Y: s.High[i]})
		closes[i] = plotter.XY{X: sec(s.Time[i]), Y: s.Close[i]}
	}
	for i := n - 1; i >= 0; i-- {
		band = append(band, plotter.XY{X: sec(s.Time[i]), Y: s.Low[i]})
	}
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return nil, fmt.Errorf("diagram: band: %w", err)
	}
	poly.Color = colBand
	poly.LineStyle.Width = 0
	cl, err := plotter.NewLine(closes)
	if err != nil {
		return nil, fmt.Errorf("diagram: close: %w", err)
	}
	cl.Color, cl.Width, cl.StepStyle = colClose, vg.Points(1.2), plotter.MidStep
	p.Add(poly, cl)
	lo, hi := minOf(s.Low), maxOf(s.High)
	rng := hi - lo
	p.Y.Min, p.Y.Max = lo-0.05*rng, hi+0.005*rng
	buys, sells := markPoints(s, marks, step)
	for _, m := range []struct {
		xy  plotter.XYs
		col color.Color
		up  bool
	}{{buys, colBuy, true}, {sells, colSell, false}} {
		if len(m.xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(m.xy)
		if err != nil {
			return nil, fmt.Errorf("diagram: marks: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: m.col, Radius: vg.Points(6), Shape: arrowhead{up: m.up}}
		p.Add(sc)
	}
	return p, nil
}

// markPoints places every mark inside the series' span at its bar's time and its price.
func markPoints(s *Series, marks []Mark, step int64) (buys, sells plotter.XYs) {
	first, end := s.Time[0], s.Time[s.Len()-1]+step
	for _, m := range marks {
		if m.Time < first || m.Time >= end || math.IsNaN(m.Price) {
			continue
		}
		pt := plotter.XY{X: sec(intervalStart(m.Time, step)), Y: m.Price}
		if m.Buy {
			buys = append(buys, pt)
		} else {
			sells = append(sells, pt)
		}
	}
	return buys, sells
}

// scorePlot is the lower panel; NaN scores break the lines.
func scorePlot(s *Series, thresholds []float64) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = "score"
	lim := 0.0
	for _, v := range s.Score {
		if !math.IsNaN(v) {
			lim = math.Max(lim, math.Abs(v))
		}
	}
	for _, t := range thresholds {
		lim = math.Max(lim, t)
	}
	if lim == 0 {
		lim = 1
	}
	p.Y.Min, p.Y.Max = -1.2*lim, 1.2*lim
	x0, x1 := sec(s.Time[0]), sec(s.Time[s.Len()-1])
	for _, t := range thresholds {
		l, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: t}, {X: x1, Y: t}})
		l.Color, l.Width = colThresh, vg.Points(3)
		p.Add(l)
	}
	z, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}})
	z.Color, z.Width = colZero, vg.Points(0.6)
	p.Add(z)
	for j, ma := range s.MAs {
		if err := addSteps(p, s.Time, ma, colMAs[j%len(colMAs)], 1, s.MANames[j]); err != nil {
			return nil, err
		}
	}
	if err := addSteps(p, s.Time, s.Score, colScore, 1.4, ""); err != nil {
		return nil, err
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}

// addSteps draws y as mid-step lines, one per run of non-NaN values.
func addSteps(p *plot.Plot, t []int64, y []float64, c color.Color, width float64, legend string) error {
	var run plotter.XYs
	first := true
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		l, err := plotter.NewLine(run)
		if err != nil {
			return fmt.Errorf("diagram: score: %w", err)
		}
		l.Color, l.Width, l.StepStyle = c, vg.Points(width), plotter.MidStep
		p.Add(l)
		if legend != "" && first {
			p.Legend.Add(legend, l)
			first = false
		}
		run = nil
		return nil
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		run = append(run, plotter.XY{X: sec(t[i]), Y: v})
	}
	return flush()
}

// arrowhead is a filled triangle pointing up (buys) or down (sells).
type arrowhead struct{ up bool }

// DrawGlyph implements draw.GlyphDrawer.
func (g arrowhead) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	tip, base := r, -r/2
	if !g.up {
		tip, base = -r, r/2
	}
	half := r * 0.87
	var path vg.Path
	path.Move(vg.Point{X: pt.X, Y: pt.Y + tip})
	path.Line(vg.Point{X: pt.X - half, Y: pt.Y + base})
	path.Line(vg.Point{X: pt.X + half, Y: pt.Y + base})
	path.Close()
	c.SetColor(sty.Color)
	c.Fill(path)
}

// clockTicks labels a time axis (Unix seconds) "15:04" at whole hours, choosing the step
// (1h … 1 week) that gives at most 25 labels; spans over two days are labelled "01-02 15:04".
type clockTicks struct{}

// Ticks implements plot.Ticker.
func (clockTicks) Ticks(lo, hi float64) []plot.Tick {
	layout := "15:04"
	if hi-lo > 2*86400 {
		layout = "01-02 15:04"
	}
	for _, h := range []int64{1, 2, 3, 6, 12, 24, 48, 168} {
		d := h * 3600
		first := int64(math.Ceil(lo/float64(d))) * d
		if (int64(hi)-first)/d+1 > 25 {
			continue
		}
		var ticks []plot.Tick
		for t := first; float64(t) <= hi; t += d {
			ticks = append(ticks, plot.Tick{Value: float64(t), Label: time.Unix(t, 0).UTC().Format(layout)})
		}
		return ticks
	}
	return nil
}
