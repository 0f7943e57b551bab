//! `put --local`: a server started in-process for the one command, and the check that the
//! stored File is byte for byte the source.

use std::net::SocketAddr;

use futures::StreamExt;
use md5::{Digest, Md5};
use uploads_client::{ApiError, Client, ClientConfig};
use uploads_server::{Server, ServerConfig};

use crate::output::{exit, fail};
use crate::ui::Ui;

/// A loopback address for the server and a client for it, before the server runs: the files
/// are checked first, and nothing starts for a command that is refused.
pub struct Reserved {
    addr: SocketAddr,
    pub client: Client,
}

impl Reserved {
    /// Picks a free loopback port.
    pub fn new() -> Result<Self, u8> {
        let addr = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| fail(exit::FAILED, format!("no free local port: {e}")))?;
        let client = ClientConfig::default()
            .api_key("sk-local")
            .base_url(format!("http://{addr}/v1"))
            .build()
            .map_err(|e| fail(exit::FAILED, e))?;
        Ok(Self { addr, client })
    }

    /// Starts the server on the address, in a temporary directory, and says where.
    pub async fn start(self, ui: &Ui) -> Result<LocalServer, u8> {
        let config = ServerConfig {
            addr: self.addr,
            ..ServerConfig::default()
        };
        let server = Server::start(config).await.map_err(|e| {
            fail(
                exit::FAILED,
                format!("could not start the local server: {e}"),
            )
        })?;
        ui.say(&format!(
            "local server on {} (data in {})",
            server.base_url(),
            server.data_dir().display()
        ));
        Ok(LocalServer {
            server,
            client: self.client,
        })
    }
}

/// The in-process server and a client for it.
pub struct LocalServer {
    pub server: Server,
    pub client: Client,
}

impl LocalServer {
    /// Downloads the stored File and compares its md5 with the source's.
    pub async fn verify(
        &self,
        file_id: &str,
        sent_md5: Option<&str>,
        source: &uploads_ext::Source,
        ui: &Ui,
    ) -> u8 {
        let stream = match self.client.download_file().file_id(file_id).send().await {
            Ok(s) => s.into_inner().into_inner(),
            Err(e) => {
                return fail(
                    exit::FAILED,
                    format!("downloading {file_id}: {}", ApiError::from(e)),
                );
            }
        };
        let mut hasher = Md5::new();
        let mut stream = stream;
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(b) => {
                    n += b.len() as u64;
                    hasher.update(&b);
                }
                Err(e) => return fail(exit::FAILED, format!("downloading {file_id}: {e}")),
            }
        }
        let stored = format!("{:x}", hasher.finalize());
        let source = match sent_md5 {
            Some(m) => m.to_owned(),
            None => match source.md5_hex(n).await {
                Ok(m) => m,
                Err(e) => return fail(exit::FAILED, format!("reading {source:?}: {e}")),
            },
        };
        if stored != source {
            return fail(
                exit::FAILED,
                format!("verification failed: stored md5 {stored} != source md5 {source}"),
            );
        }
        ui.say(&format!("verified: downloaded {file_id} ({n} bytes) from the local server, md5 {stored} matches the source"));
        exit::OK
    }
}
