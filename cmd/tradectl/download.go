package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newDownloadCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "download",
		Short: "Download Binance klines into <data_folder>/<symbol>/klines.csv",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return fmt.Errorf("download: not wired yet")
		},
	}
}
