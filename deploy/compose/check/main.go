// Command composecheck loads a compose file the way `docker compose config` does (the
// compose-spec reference loader: interpolation with ${VAR:?message}, YAML anchors and merge
// keys, the specification's schema, the model's own consistency checks) without a Docker
// engine, and prints the resolved project as JSON for deploy/validate.sh's own checks.
//
//	composecheck -env-file .env.example docker-compose.yml [override.yml…] > project.json
//
// Variables come from the env file only (never from this process' environment), so the
// result does not depend on the machine. A failure prints the loader's message, exit 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	envFile := flag.String("env-file", "", "the only source of variables (e.g. .env.example)")
	flag.Parse()
	if flag.NArg() < 1 || *envFile == "" {
		fmt.Fprintln(os.Stderr, "usage: composecheck -env-file FILE docker-compose.yml [override.yml…]")
		os.Exit(2)
	}
	if err := run(flag.Args(), *envFile); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(files []string, envFile string) error {
	dir, err := filepath.Abs(filepath.Dir(files[0]))
	if err != nil {
		return err
	}
	options, err := cli.NewProjectOptions(
		files,
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithConsistency(true),
	)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}
