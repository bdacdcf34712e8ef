package svm
import ("math";"testing")
func TestExpScratch(t *testing.T) {
	worst, diff32 := 0.0, 0
	n := 0
	for x := -110.0; x <= 1e-9; x += 0.0001237 {
		a, b := expKernel(x), math.Exp(x)
		if e := math.Abs(a-b)/b; e > worst { worst = e }
		if float32(a) != float32(b) { diff32++ }
		n++
	}
	t.Logf("worst rel %g, float32 differ %d of %d", worst, diff32, n)
}
func BenchmarkExpK(b *testing.B) { s:=0.0; for i:=0;b.Loop();i++ { s+= expKernel(-float64(i&1023)*0.01) }; _ = s }
func BenchmarkExpM(b *testing.B) { s:=0.0; for i:=0;b.Loop();i++ { s+= math.Exp(-float64(i&1023)*0.01) }; _ = s }
var sinkArr [4096]float64
func BenchmarkExpKArr(b *testing.B) { for b.Loop() { for i := range sinkArr { sinkArr[i] = expKernel(-float64(i)*0.01) } } }
func BenchmarkExpMArr(b *testing.B) { for b.Loop() { for i := range sinkArr { sinkArr[i] = math.Exp(-float64(i)*0.01) } } }
