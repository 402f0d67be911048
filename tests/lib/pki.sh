# tests/lib/pki.sh — a private PKI for scripted tests that serve HTTPS on
# loopback (the verifier then trusts it with --ca-file and reaches the name
# with --resolve). Source it after tests/lib/check.sh.
#
# test_pki DIR HOST: in DIR (made if needed) a test CA (ca.pem, ca.key) and a
# certificate for HOST signed by it (srv.pem, srv.key; subjectAltName
# DNS:HOST, serverAuth), each P-256, valid 2 days. OpenSSL 3's `req -x509
# -CA` signs the server certificate in one step (the project needs OpenSSL 3).
# The openssl output goes to DIR/openssl.log; the status is openssl's.
test_pki() {
    local dir=$1 host=$2
    mkdir -p "$dir" || return 1
    local req=(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2)
    {
        "${req[@]}" -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=$host test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
        "${req[@]}" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -keyout "$dir/srv.key" -out "$dir/srv.pem" \
            -subj "/CN=$host" -addext "subjectAltName=DNS:$host" -addext "basicConstraints=CA:FALSE" \
            -addext "extendedKeyUsage=serverAuth"
    } >"$dir/openssl.log" 2>&1
}
