// Package compose checks compose.yaml and deploy/haproxy.cfg where no
// Docker engine runs: the file loads under the Compose specification
// (compose-go, the loader of docker compose), the replicas are the ones
// the proxy balances and health-checks, they share one Redis with the
// settings the tests prove (deploy/scaling.env), and HAProxy accepts its
// configuration. What the replicas do at boot is proved by
// tests/entrypoint (three replicas, one Redis, one provisioning).
package compose
