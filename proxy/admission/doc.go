// Package admission decides which requests may start a stream and how much
// they may take: client authentication, TLS client identities, the topic
// allow-list, the rate limits and the bound on concurrent streams. Its
// refusals are entries of package apierror; docs/produce-api.md lists them.
package admission
