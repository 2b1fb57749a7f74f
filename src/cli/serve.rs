//! `rc-conform serve`: the reference server's flags and their mapping to
//! [`crate::reference::ServerConfig`].

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::reference::{Deviation, ServerConfig};

/// Flags of `rc-conform serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3000, env = "RC_CONFORM_PORT")]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Username of the bootstrapped admin.
    #[arg(long, env = "RC_CONFORM_ADMIN_USER", default_value = "rc-admin")]
    pub admin_user: String,
    /// Password of the bootstrapped admin.
    #[arg(
        long,
        env = "RC_CONFORM_ADMIN_PASSWORD",
        default_value = "rc-admin-password",
        hide_env_values = true
    )]
    pub admin_password: String,
    /// Server version to report and emulate; its line decides the behaviour: 6.x (below 7.0.0)
    /// the Restivus 401 body, 6.x and 7.x the Express JSON body parser, 9.x (9.0.0 and later)
    /// typed request bodies and the 9.0 error envelope.
    #[arg(long, default_value = "8.5.0")]
    pub server_version: String,
    /// Behave like a server started with TEST_MODE: no two-factor check on users.create, no
    /// rate limiter.
    #[arg(long)]
    pub test_mode: bool,
    /// Emulate the default API rate limiter (10 calls a minute per route and client).
    #[arg(long)]
    pub rate_limit: bool,
    /// With --rate-limit: limit as usual but send no X-RateLimit-* headers.
    #[arg(long)]
    pub hide_rate_limit_headers: bool,
    /// Delay every response by this many milliseconds (an emulated network round trip).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Let changes by permissions.update and roles.addUserToRole / roles.removeUserFromRole
    /// reach permission checks only this many milliseconds later (permissions.listAll shows
    /// them at once).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub permission_lag_ms: u64,
    /// Answer this endpoint (e.g. rooms.adminRooms, users.list) as an unknown route
    /// (repeatable).
    #[arg(long = "without", value_name = "ENDPOINT")]
    pub without: Vec<String>,
    /// Answer custom-role endpoints as an Enterprise server.
    #[arg(long)]
    pub enterprise: bool,
    /// Break exactly one rule (repeatable); see --list-deviations.
    #[arg(long = "deviate", value_name = "NAME")]
    pub deviations: Vec<Deviation>,
    /// List the deviations, one line each, and exit.
    #[arg(long)]
    pub list_deviations: bool,
}

impl ServeArgs {
    /// The server configuration these flags describe.
    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            admin_username: self.admin_user.clone(),
            admin_password: self.admin_password.clone(),
            version: self.server_version.clone(),
            test_mode: self.test_mode,
            rate_limit: self.rate_limit,
            rate_limit_headers: !self.hide_rate_limit_headers,
            enterprise: self.enterprise,
            latency: Duration::from_millis(self.latency_ms),
            permission_lag: Duration::from_millis(self.permission_lag_ms),
            without: self.without.iter().cloned().collect(),
            deviations: self.deviations.iter().copied().collect::<BTreeSet<_>>(),
        }
    }

    /// The socket address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }
}

/// The text `--list-deviations` prints.
pub fn deviation_list() -> String {
    let width = Deviation::every()
        .map(|d| d.name().len())
        .max()
        .unwrap_or(0);
    Deviation::every()
        .map(|d| format!("{:width$}  {}\n", d.name(), d.description()))
        .collect()
}

/// Runs `rc-conform serve` until Ctrl-C, or prints the deviations.
pub(super) fn serve(args: &ServeArgs) -> Result<crate::exit::Exit, super::error::CliError> {
    if args.list_deviations {
        anstream::print!("{}", deviation_list());
        return Ok(crate::exit::Exit::Ok);
    }
    let runtime = tokio::runtime::Runtime::new().map_err(super::error::CliError::Runtime)?;
    runtime.block_on(async {
        let server = crate::reference::start(args.config(), args.addr())
            .await
            .map_err(super::error::CliError::Serve)?;
        anstream::println!(
            "rc-conform reference server (Rocket.Chat {}) listening on {}; admin user `{}`; Ctrl-C stops it",
            args.server_version,
            server.url(),
            args.admin_user
        );
        let _ = tokio::signal::ctrl_c().await;
        server.shutdown().await;
        Ok(crate::exit::Exit::Ok)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(args: &[&str]) -> ServerConfig {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()));
        match cli {
            Ok(cli) => cli.serve.config(),
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn no_flags_mean_the_default_server() {
        assert_eq!(config(&[]), ServerConfig::default());
    }

    #[test]
    fn the_imperfect_server_flags_reach_the_config() {
        let config = config(&[
            "--latency-ms",
            "250",
            "--permission-lag-ms",
            "1500",
            "--without",
            "rooms.adminRooms",
            "--without",
            "users.list",
            "--rate-limit",
            "--hide-rate-limit-headers",
            "--deviate",
            "incidental-answers",
        ]);
        assert_eq!(config.latency, Duration::from_millis(250));
        assert_eq!(config.permission_lag, Duration::from_millis(1500));
        assert_eq!(
            config.without,
            BTreeSet::from(["rooms.adminRooms".to_owned(), "users.list".to_owned()])
        );
        assert!(config.rate_limit && !config.rate_limit_headers);
        assert_eq!(
            config.deviations,
            BTreeSet::from([Deviation::IncidentalAnswers])
        );
    }
}
