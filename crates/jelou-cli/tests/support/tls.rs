//! An HTTPS server whose certificate nobody trusts (self-signed, made for the test): every
//! handshake with it fails on the client's side, as with a misconfigured proxy or endpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};

/// Serves TLS on a loopback port from a thread of its own, for the rest of the process.
/// Returns the base URL (`https://localhost:PORT`) and the number of connections accepted.
pub(crate) fn serve_self_signed() -> (String, Arc<AtomicUsize>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("a server configuration");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            let port = listener.local_addr().expect("addr").port();
            sender
                .send(format!("https://localhost:{port}"))
                .expect("the test waits");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                // The client refuses the certificate, so the handshake ends in its alert.
                tokio::spawn(async move { drop(acceptor.accept(stream).await) });
            }
        });
    });
    let base_url = receiver.recv().expect("the server listens");
    (base_url, connections)
}
