#!/bin/sh
# Makes the certificates of the TLS tests (tests/check/elements/network.c)
# at build time, so that no private key is kept in the repository:
#
#   test-ca.pem               a private CA (self-signed)
#   test-server.pem           the emulator's certificate, signed by test-ca,
#   test-server-key.pem       for 127.0.0.1 and localhost, and its key
#   test-wrong-name.pem       a certificate signed by test-ca for another
#   test-wrong-name-key.pem   host name (other.invalid), and its key
#   test-other-ca.pem         an unrelated CA, which signed none of them
#
# Usage: make-test-certs.sh OPENSSL OUTDIR
set -eu

openssl=$1
out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# our own configuration, not the system's openssl.cnf
cat >"$tmp/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
[wrong_name_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.invalid
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
CNF

key () {
  "$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$1" 2>/dev/null
}

# ca NAME SUBJECT
ca () {
  key "$tmp/$1-key.pem"
  "$openssl" req -config "$tmp/openssl.cnf" -x509 -new -sha256 -days 3650 \
    -key "$tmp/$1-key.pem" -subj "/CN=$2" -extensions ca_ext -out "$out/$1.pem"
}

# leaf NAME SUBJECT EXTENSIONS: signed by test-ca; the key goes to OUTDIR
leaf () {
  key "$out/$1-key.pem"
  "$openssl" req -config "$tmp/openssl.cnf" -new -key "$out/$1-key.pem" \
    -subj "/CN=$2" -out "$tmp/$1.csr"
  "$openssl" x509 -req -sha256 -days 3650 -in "$tmp/$1.csr" \
    -CA "$out/test-ca.pem" -CAkey "$tmp/test-ca-key.pem" -set_serial "$4" \
    -extfile "$tmp/openssl.cnf" -extensions "$3" -out "$out/$1.pem" 2>/dev/null
}

ca test-ca "inworldttssrc test CA"
ca test-other-ca "inworldttssrc unrelated test CA"
leaf test-server 127.0.0.1 server_ext 1001
leaf test-wrong-name other.invalid wrong_name_ext 1002
