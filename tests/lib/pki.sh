# tests/lib/pki.sh — a throwaway certificate authority for the scripted tests
# that speak REAL HTTPS to a local server (tests/cli/didweb.sh, verify_batch.sh, tests/lib/ebsi_registries.sh,
# web_online.sh): the verifier is told to trust it (--ca-file), no system
# file is touched.
#
#   pki_make DIR HOST "CA NAME" || { fail "openssl: $(tail -3 DIR/openssl.log)"; finish; }

# pki_make DIR HOST CA_NAME: in DIR (made if missing), a P-256 CA valid for
# 2 days (ca.pem, ca.key; subject CN=CA_NAME) and a server certificate for
# DNS:HOST signed by it (srv.pem, srv.key). openssl's output goes to
# DIR/openssl.log; returns non-zero when openssl fails.
pki_make() {
    local dir=$1 host=$2 name=$3
    mkdir -p "$dir" || return 1
    (
        cd "$dir" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -keyout ca.key -out ca.pem -subj "/CN=$name" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout srv.key -out srv.csr -subj "/CN=$host" &&
        printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
            "$host" >ext &&
        openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile ext -out srv.pem
    ) >"$dir/openssl.log" 2>&1
}
