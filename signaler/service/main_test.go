package service

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theWorld != nil {
		os.RemoveAll(theWorld.modelDir)
	}
	os.Exit(code)
}
