package soap

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestHMS(t *testing.T) {
	for sec, want := range map[int64]string{
		0: "00h 00' 00''", 25840: "07h 10' 40''", 3483: "00h 58' 03''", 2077: "00h 34' 37''",
		20280: "05h 38' 00''", 359999: "99h 59' 59''", 400000: "111h 06' 40''", -5: "00h 00' 00''",
	} {
		assert.Equal(t, want, hms(sec), "%d", sec)
	}
}

func TestPHPFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{2077.0 / 13, "159.76923076923"},
		{1177.0 / 14, "84.071428571429"},
		{2387.0 / 16, "149.1875"},
		{3426.0 / 14, "244.71428571429"},
		{2649.0 / 13, "203.76923076923"},
		{0, "0"},
		{12, "12"},
		{87.5, "87.5"},
		{-2.5, "-2.5"},
		{1.0 / 3, "0.33333333333333"},
		{1e25, "1.0E+25"},
		{1.5e-7, "1.5E-7"},
		{123456789012345678, "1.2345678901235E+17"},
		{math.NaN(), "NAN"},
		{math.Inf(1), "INF"},
		{math.Inf(-1), "-INF"},
	} {
		assert.Equal(t, tc.want, phpFloat(tc.in), "%v", tc.in)
	}
}

func TestEpochFormats(t *testing.T) {
	assert.Equal(t, "1275586846.78", epochCenti(time.Unix(1275586846, 789999999)))
	assert.Equal(t, "1275586846.05", epochCenti(time.Unix(1275586846, 50000000)))
	assert.Equal(t, "0", epoch(time.Time{}))
	assert.Equal(t, "1275585158", epoch(time.Unix(1275585158, 999)))
	assert.Equal(t, "", localDate(time.Time{}, time.UTC))
}

func TestXMLWriterEscaping(t *testing.T) {
	w := newXMLWriter(declLatin1, true)
	w.start("a", "x", "Ñandú \"q\" <&> 10' 20''\t\n", "y", "Łódź")
	w.leaf("b", "Peña & <Łukasz>\r\x01")
	w.empty("c")
	w.empty("d", "z", "\xff")
	w.end("a")
	assert.Equal(t, declLatin1+"\n"+
		`<a x="&#209;and&#250; &quot;q&quot; &lt;&amp;&gt; 10' 20''&#9;&#10;" y="&#321;&#243;d&#378;">`+"\n"+
		"  <b>Pe&#241;a &amp; &lt;&#321;ukasz&gt;&#13;&#65533;</b>\n"+
		"  <c/>\n"+
		`  <d z="&#65533;" />`+"\n"+
		"</a>\n", w.String())

	u := newXMLWriter(declUTF8, false)
	u.leaf("n", "Peña")
	assert.Equal(t, declUTF8+"\n<n>Peña</n>\n", u.String())
}
