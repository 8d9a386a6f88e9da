package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The plot is drawn with the standard library's image packages and the
// x/image bitmap font only: a plotting library would be the largest
// dependency of the module for two bar charts.

const (
	plotWidth  = 1200
	plotHeight = 560
)

var (
	white     = color.RGBA{255, 255, 255, 255}
	ink       = color.RGBA{33, 33, 33, 255}
	gridGray  = color.RGBA{225, 225, 225, 255}
	axisGray  = color.RGBA{120, 120, 120, 255}
	directCol = color.RGBA{120, 120, 120, 255}
	streamCol = color.RGBA{31, 119, 180, 255}
	singleCol = color.RGBA{255, 127, 14, 255}
	latCols   = []color.RGBA{{44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255}}
)

// bar is one bar of a chart: its label under it, its value over it.
type bar struct {
	label string
	value float64
	text  string
	color color.RGBA
}

func writePlot(r *Report, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, renderPlot(r)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renderPlot draws throughput per mode (left) and the latency percentiles
// of the latency modes (right), with the run's conditions underneath.
func renderPlot(r *Report) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, plotWidth, plotHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)

	var tput, lat []bar
	for _, res := range r.Results {
		switch res.Kind {
		case "throughput":
			c := streamCol
			switch {
			case res.Mode == "direct":
				c = directCol
			case strings.HasPrefix(res.Mode, "single"):
				c = singleCol
			}
			tput = append(tput, bar{label: res.Mode, value: res.RecordsPerSec, text: formatCount(res.RecordsPerSec), color: c})
		case "latency":
			for i, p := range []struct {
				name string
				v    float64
			}{{"p50", res.P50Ms}, {"p99", res.P99Ms}, {"p99.9", res.P999Ms}} {
				label := p.name
				if len(r.Results) > 0 && countKind(r, "latency") > 1 {
					label = res.Mode + " " + p.name
				}
				lat = append(lat, bar{label: label, value: p.v, text: fmt.Sprintf("%.2f", p.v), color: latCols[i]})
			}
		}
	}
	drawBarChart(img, image.Rect(20, 20, 760, 500), "Throughput (records/s)", tput)
	latTitle := "Latency (ms)"
	for _, res := range r.Results {
		if res.Kind == "latency" && res.OfferedPerSec > 0 {
			latTitle = fmt.Sprintf("Latency (ms), %s rec/s", formatCount(res.OfferedPerSec))
			break
		}
	}
	drawBarChart(img, image.Rect(800, 20, 1180, 500), latTitle, lat)
	runs := ""
	if r.Repeat > 1 {
		runs = fmt.Sprintf(" (median of %d runs)", r.Repeat)
	}
	drawText(img, 20, 530, fmt.Sprintf("restproxy bench: %d-byte records, acks=all, %d partitions, %s per mode%s",
		r.RecordBytes, r.Partitions, r.Duration, runs), ink, 1)
	drawText(img, 20, 548, fmt.Sprintf("%d CPUs shared by load generator, broker and proxy; %s, %s", r.CPUs, r.GoVersion, r.Started), ink, 1)
	return img
}

func countKind(r *Report, kind string) int {
	n := 0
	for _, res := range r.Results {
		if res.Kind == kind {
			n++
		}
	}
	return n
}

// drawBarChart draws bars in area with a title, a value axis from zero with
// gridlines at round steps, and each bar's label and value.
func drawBarChart(img *image.RGBA, area image.Rectangle, title string, bars []bar) {
	drawText(img, area.Min.X, area.Min.Y+26, title, ink, 2)
	if len(bars) == 0 {
		drawText(img, area.Min.X, area.Min.Y+80, "not measured in this run", axisGray, 1)
		return
	}
	top := 0.0
	for _, b := range bars {
		top = max(top, b.value)
	}
	step := niceStep(top, 5)
	axisMax := math.Ceil(top/step) * step
	if axisMax == 0 {
		axisMax = 1
	}
	plot := image.Rect(area.Min.X+70, area.Min.Y+60, area.Max.X, area.Max.Y-40)
	y := func(v float64) int { return plot.Max.Y - int(v/axisMax*float64(plot.Dy())) }
	for v := 0.0; v <= axisMax+step/2; v += step {
		fill(img, image.Rect(plot.Min.X, y(v), plot.Max.X, y(v)+1), gridGray)
		label := formatCount(v)
		drawText(img, plot.Min.X-8-len(label)*7, y(v)+4, label, axisGray, 1)
	}
	fill(img, image.Rect(plot.Min.X, plot.Min.Y, plot.Min.X+1, plot.Max.Y+1), axisGray)

	slot := plot.Dx() / len(bars)
	width := min(slot*2/3, 90)
	for i, b := range bars {
		cx := plot.Min.X + slot*i + slot/2
		fill(img, image.Rect(cx-width/2, y(b.value), cx+width/2, plot.Max.Y), b.color)
		drawText(img, cx-len(b.text)*7/2, y(b.value)-6, b.text, ink, 1)
		drawText(img, cx-len(b.label)*7/2, plot.Max.Y+18, b.label, ink, 1)
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// drawText writes s with its baseline at (x, y) in the 7x13 bitmap font,
// magnified scale times (nearest neighbour) for titles.
func drawText(img *image.RGBA, x, y int, s string, c color.RGBA, scale int) {
	face := basicfont.Face7x13
	if scale <= 1 {
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
		d.DrawString(s)
		return
	}
	w, h := len(s)*7, 13
	small := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: small, Src: image.Opaque, Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	top := y - face.Ascent*scale
	for sy := range h {
		for sx := range w {
			if small.AlphaAt(sx, sy).A > 127 {
				fill(img, image.Rect(x+sx*scale, top+sy*scale, x+(sx+1)*scale, top+(sy+1)*scale), c)
			}
		}
	}
}

// niceStep returns a gridline step of 1, 2 or 5 times a power of ten that
// cuts [0, top] into at most about n parts.
func niceStep(top float64, n int) float64 {
	if top <= 0 || n < 1 {
		return 1
	}
	raw := top / float64(n)
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			return m * pow
		}
	}
	return 10 * pow
}

// formatCount writes a count briefly: 1234567 as "1.23M", 245000 as "245k",
// 12.5 as "12.5".
func formatCount(v float64) string {
	switch {
	case v >= 1e6:
		return trimZeros(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case v >= 1e3:
		return trimZeros(fmt.Sprintf("%.1f", v/1e3)) + "k"
	default:
		return trimZeros(fmt.Sprintf("%.2f", v))
	}
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
