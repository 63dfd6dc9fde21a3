package main

// This file draws the PNG chart: one group of bars per workload, one bar
// per client, each bar the client's median time divided by the baseline's
// (sshfs), on a log scale so that 10× faster and 10× slower look alike.
// Uses gonum.org/v1/plot; nothing is shared.

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// palette has one colour per client column (repeats beyond).
var palette = []color.Color{
	color.RGBA{0x1b, 0x9e, 0x77, 0xff}, // netvfs: green
	color.RGBA{0xd9, 0x5f, 0x02, 0xff},
	color.RGBA{0xe6, 0xab, 0x02, 0xff},
	color.RGBA{0x75, 0x70, 0xb3, 0xff},
	color.RGBA{0xe7, 0x29, 0x8a, 0xff},
	color.RGBA{0x66, 0x66, 0x66, 0xff},
}

// ChartValues returns, per client (in r.Clients order) and workload (in
// r.Workloads order), the median time relative to the baseline's, or NaN
// where either has no time.
func (r *Report) ChartValues() [][]float64 {
	cells := r.Cells()
	out := make([][]float64, len(r.Clients))
	for i, c := range r.Clients {
		out[i] = make([]float64, len(r.Workloads))
		for j, w := range r.Workloads {
			out[i][j] = math.NaN()
			if x, ok := Speedup(cells[c.Name][w.Name], cells[r.Baseline][w.Name]); ok && x > 0 {
				out[i][j] = 1 / x
			}
		}
	}
	return out
}

// WriteChart draws the chart to a PNG file.
func (r *Report) WriteChart(path string) error {
	values := r.ChartValues()
	lo, hi := 1.0, 1.0
	for _, row := range values {
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Median time relative to %s (log scale, lower is better), %v added round trip", r.Baseline, r.Meta.Latency)
	p.Y.Label.Text = "time / " + r.Baseline + " time"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ratioTicks{}
	// Headroom above the tallest bar for the legend.
	p.Y.Min, p.Y.Max = lo/1.6, hi*6
	titles := make([]string, len(r.Workloads))
	for i, w := range r.Workloads {
		titles[i] = w.Title
	}
	p.NominalX(titles...)
	p.X.Tick.Label.Rotation = math.Pi / 8
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(10)

	bars := &groupedBars{values: values, groupWidth: 0.8}
	p.Add(plotter.NewGrid(), bars)
	for i, c := range r.Clients {
		p.Legend.Add(c.Name, swatch{palette[i%len(palette)]})
	}
	return p.Save(16*vg.Inch, 7*vg.Inch, path)
}

// groupedBars draws values[client][workload] as bars from the bottom of
// the plot, side by side within each workload's group, and marks missing
// values (failures) with an ×.
type groupedBars struct {
	values     [][]float64
	groupWidth float64 // in workload units
}

func (g *groupedBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(g.values)
	if n == 0 {
		return
	}
	w := g.groupWidth / float64(n)
	bottom := trY(p.Y.Min)
	for k, row := range g.values {
		col := palette[k%len(palette)]
		for j, v := range row {
			x0 := float64(j) - g.groupWidth/2 + float64(k)*w
			left, right := trX(x0+0.05*w), trX(x0+0.95*w)
			if math.IsNaN(v) {
				mid := (left + right) / 2
				y := bottom + 6
				sty := draw.LineStyle{Color: col, Width: vg.Points(1.5)}
				c.StrokeLine2(sty, mid-4, y-4, mid+4, y+4)
				c.StrokeLine2(sty, mid-4, y+4, mid+4, y-4)
				continue
			}
			top := trY(v)
			c.FillPolygon(col, c.ClipPolygonY([]vg.Point{{X: left, Y: bottom}, {X: right, Y: bottom}, {X: right, Y: top}, {X: left, Y: top}}))
		}
	}
	// The baseline (1) and the 2× target (0.5).
	for _, ref := range []struct {
		y    float64
		dash []vg.Length
	}{{1, nil}, {0.5, []vg.Length{vg.Points(4), vg.Points(3)}}} {
		if ref.y < p.Y.Min || ref.y > p.Y.Max {
			continue
		}
		y := trY(ref.y)
		c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(0.8), Dashes: ref.dash}, c.Min.X, y, c.Max.X, y)
	}
}

func (g *groupedBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := 0
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for _, row := range g.values {
		n = max(n, len(row))
		for _, v := range row {
			if !math.IsNaN(v) {
				ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			}
		}
	}
	if math.IsInf(ymin, 1) {
		ymin, ymax = 1, 1
	}
	return -0.5, float64(n) - 0.5, ymin, ymax
}

// swatch is a legend entry: a filled square.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.c, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
}

// ratioTicks labels a log axis at 1-2-5 steps ("0.5×", "1×", "2×").
type ratioTicks struct{}

func (ratioTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)) - 1; e <= math.Ceil(math.Log10(max))+1; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%g×", v)})
		}
	}
	return ticks
}
