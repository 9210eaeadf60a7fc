// Command precompress writes FILE.br (brotli, quality 11) and FILE.gz (gzip,
// best compression) beside each FILE, for servers that serve precompressed
// files with Content-Encoding.
//
//	go run ./tools/precompress FILE...
//	go run ./tools/precompress -report FILE...   # print raw, gzip and brotli sizes
//	go run ./tools/precompress -report -budget-kb N FILE...   # and fail when a file's brotli size passes N KB
//	go run ./tools/precompress -report -raw-budget-kb N FILE...   # or its raw size
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/andybalholm/brotli"
)

func main() {
	report := flag.Bool("report", false, "print the raw, gzip and brotli sizes instead of writing files")
	budget := flag.Float64("budget-kb", 0, "with -report: exit 1 when a file's brotli size is above this many KB (1 KB = 1024 B)")
	rawBudget := flag.Float64("raw-budget-kb", 0, "with -report: exit 1 when a file's raw size is above this many KB")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: precompress [-report] FILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var tw *tabwriter.Writer
	var over []string
	if *report {
		tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "file\traw B\traw KB\tgzip B\tgzip KB\tbrotli B\tbrotli KB\t")
	}
	for _, name := range flag.Args() {
		raw, err := os.ReadFile(name)
		if err != nil {
			fail(err)
		}
		gz, br, err := compress(raw)
		if err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		if *report {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%s\t\n", filepath.Base(name),
				len(raw), kb(len(raw)), len(gz), kb(len(gz)), len(br), kb(len(br)))
			if *budget > 0 && float64(len(br))/1024 > *budget {
				over = append(over, fmt.Sprintf("%s is %s KB brotli, over its budget of %g KB", name, kb(len(br)), *budget))
			}
			if *rawBudget > 0 && float64(len(raw))/1024 > *rawBudget {
				over = append(over, fmt.Sprintf("%s is %s KB raw, over its budget of %g KB", name, kb(len(raw)), *rawBudget))
			}
			continue
		}
		if err := write(name+".gz", gz); err != nil {
			fail(err)
		}
		if err := write(name+".br", br); err != nil {
			fail(err)
		}
	}
	if tw != nil {
		tw.Flush()
	}
	for _, o := range over {
		fmt.Fprintln(os.Stderr, "precompress:", o)
	}
	if len(over) > 0 {
		os.Exit(1)
	}
}

func kb(n int) string { return fmt.Sprintf("%.1f", float64(n)/1024) }

// compress returns data as gzip (best) and brotli (quality 11, the largest window).
func compress(data []byte) (gz, br []byte, err error) {
	var g bytes.Buffer
	gw, err := gzip.NewWriterLevel(&g, gzip.BestCompression)
	if err != nil {
		return nil, nil, err
	}
	if err := writeAll(gw, data); err != nil {
		return nil, nil, err
	}
	var b bytes.Buffer
	bw := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: 24})
	if err := writeAll(bw, data); err != nil {
		return nil, nil, err
	}
	return g.Bytes(), b.Bytes(), nil
}

func writeAll(w io.WriteCloser, data []byte) error {
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

// write replaces name atomically, keeping the source's neighbours consistent.
func write(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "precompress:", err)
	os.Exit(1)
}
