package main

import "errors"

func writePlot(r *Report, path string) error { return errors.New("not yet") }
