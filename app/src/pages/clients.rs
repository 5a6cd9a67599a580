//! Download clients: list with last poll and error, create, edit, delete (with a confirm step),
//! and a client's recent snapshots. Credentials are write-only.

use crate::api::clients::{list_client_snapshots, list_clients, ClientConfig, ClientInput, ClientView, DeleteClient, SaveClient};
use crate::components::forms::{format_time, ConfirmDelete};
use crate::components::list_page::{AddOrEdit, EditCard, ListLoader, ListPage};
use crate::components::{form_error, human_bytes, CheckField, ErrorNotice, SecretField, SelectField, SuccessNotice, TextField};
use crate::model::SecretUpdate;
use crate::validate::{parse_int, Invalid};
use leptos::prelude::*;

const TYPE_OPTIONS: [(&str, &str); 3] = [("qbittorrent", "qBittorrent"), ("transmission", "Transmission"), ("deluge", "Deluge")];

fn type_label(t: &str) -> String {
    TYPE_OPTIONS.iter().find(|(k, _)| *k == t).map(|(_, l)| l.to_string()).unwrap_or_else(|| t.to_string())
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let page = ListPage::<ClientView>::new();
    let delete = ServerAction::<DeleteClient>::new();
    let clients = Resource::new(move || (page.reload.get(), delete.version().get()), |_| list_clients());
    let history_of = RwSignal::new(None::<(i64, String)>);
    let delete_error = page.on_deleted(delete.value(), "Client deleted.");
    let (on_saved, on_cancel) = (page.on_saved(|v: &ClientView| v.config.name.clone()), page.on_cancel());

    view! {
        <h1>"Download clients"</h1>
        <p class="hint">"The torrent clients whose seeding, speeds and tags are recorded. Usernames and passwords are stored encrypted and never shown again."</p>
        <SuccessNotice message=page.flash/>
        <ErrorNotice error=delete_error/>
        <AddOrEdit page add_label="Add a client" form=move |initial| view! { <ClientForm initial on_saved on_cancel/> }/>
        <ListLoader list=clients empty="No download clients yet. Add one to record its seeding and speeds."
            show=move |list| view! { <ClientTable list page delete history_of/> }/>
        {move || history_of.get().map(|(id, name)| view! { <SnapshotHistory id name close=Callback::new(move |()| history_of.set(None))/> })}
    }
}

#[component]
fn ClientTable(
    list: Vec<ClientView>,
    page: ListPage<ClientView>,
    delete: ServerAction<DeleteClient>,
    history_of: RwSignal<Option<(i64, String)>>,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|c| {
            let id = c.id;
            let name = c.config.name.clone();
            let for_edit = c.clone();
            let for_history = name.clone();
            let address = format!("{}://{}:{}", if c.config.use_tls { "https" } else { "http" }, c.config.host, c.config.port);
            view! {
                <tr>
                    <td data-label="Name">
                        <strong>{c.config.name.clone()}</strong>
                        {c.config.is_default.then(|| view! { " " <span class="badge ok">"Default"</span> })}
                        {(!c.config.enabled).then(|| view! { " " <span class="badge warn">"Disabled"</span> })}
                        {c.disabled_reason.clone().map(|r| view! { <br/><small class="hint">{r}</small> })}
                    </td>
                    <td data-label="Type">{type_label(&c.config.client_type)}</td>
                    <td data-label="Address"><code>{address}</code></td>
                    <td data-label="Polling">{format!("every {} s", c.config.poll_interval_seconds)}</td>
                    <td data-label="Last poll">
                        {match c.last_polled_at {
                            Some(t) => format_time(&t),
                            None => "never".to_string(),
                        }}
                        {c.last_error.clone().map(|e| view! { <br/><span class="badge bad">"Error"</span> " " <small>{e}</small> })}
                    </td>
                    <td>
                        <div class="actions">
                            <button class="btn btn-small" type="button" aria-label=format!("Edit {name}")
                                on:click=move |_| page.open(Some(for_edit.clone()))>"Edit"</button>
                            <button class="btn btn-small" type="button" aria-label=format!("History of {name}")
                                on:click=move |_| history_of.set(Some((id, for_history.clone())))>"History"</button>
                            <ConfirmDelete what=name.clone() detail="Its snapshots and uptime history are deleted too."
                                on_confirm=Callback::new(move |()| { page.flash.set(None); delete.dispatch(DeleteClient { id }); })/>
                        </div>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap">
            <table class="stack">
                <caption class="visually-hidden">"Download clients"</caption>
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Type"</th><th scope="col">"Address"</th><th scope="col">"Polling"</th><th scope="col">"Last poll"</th><th scope="col">"Actions"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn ClientForm(initial: Option<ClientView>, on_saved: Callback<ClientView>, on_cancel: Callback<()>) -> impl IntoView {
    let id = initial.as_ref().map(|v| v.id);
    let config = initial.as_ref().map(|v| v.config.clone()).unwrap_or_else(ClientConfig::new_default);
    let name = RwSignal::new(config.name.clone());
    let client_type = RwSignal::new(config.client_type.clone());
    let host = RwSignal::new(config.host.clone());
    let port = RwSignal::new(config.port.to_string());
    let use_tls = RwSignal::new(config.use_tls);
    let poll = RwSignal::new(config.poll_interval_seconds.to_string());
    let is_default = RwSignal::new(config.is_default);
    let enabled = RwSignal::new(config.enabled);
    let tags = RwSignal::new(config.cross_seed_tags.join(", "));
    let username = RwSignal::new(String::new());
    let clear_username = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let clear_password = RwSignal::new(false);
    let has_username = initial.as_ref().is_some_and(|v| v.has_username);
    let has_password = initial.as_ref().is_some_and(|v| v.has_password);

    let save = ServerAction::<SaveClient>::new();
    let (local, error) = form_error(save.value());
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            on_saved.run(v);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let parsed = (|| -> Result<ClientInput, Invalid> {
            let config = ClientConfig {
                name: name.get(),
                client_type: client_type.get(),
                host: host.get(),
                port: parse_int("port", "Port", &port.get())?,
                use_tls: use_tls.get(),
                poll_interval_seconds: parse_int("poll_interval_seconds", "Poll interval (seconds)", &poll.get())?,
                is_default: is_default.get(),
                cross_seed_tags: tags.get().split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect(),
                enabled: enabled.get(),
            }
            .validate()?;
            Ok(ClientInput {
                id,
                config,
                username: SecretUpdate { value: Some(username.get()).filter(|v| !v.is_empty()), clear: clear_username.get() },
                password: SecretUpdate { value: Some(password.get()).filter(|v| !v.is_empty()), clear: clear_password.get() },
            })
        })();
        match parsed {
            Ok(input) => {
                save.dispatch(SaveClient { input });
            }
            Err(e) => local.set(Some(e.message)),
        }
    };
    let title = if initial.is_some() { format!("Edit “{}”", config.name) } else { "New download client".to_string() };
    // Parts are type-erased (into_any) to keep the view types small for the compiler.
    let fields = view! {
                <div class="form-grid">
                    <TextField id="client-name" label="Name" value=name required=true placeholder="Seedbox"/>
                    <SelectField id="client-type" label="Client type" value=client_type options=TYPE_OPTIONS.to_vec()/>
                    <TextField id="client-host" label="Host" value=host required=true placeholder="192.168.1.10"
                        hint="A name or address only: no http:// and no path."/>
                    <TextField id="client-port" label="Port" kind="number" value=port required=true/>
                    <TextField id="client-poll" label="Poll interval (seconds)" kind="number" value=poll hint="10 to 86400."/>
                    <TextField id="client-tags" label="Cross-seed tags" value=tags placeholder="cross-seed, xseed"
                        hint="Comma-separated torrent tags that mark cross-seeded torrents."/>
                    <SecretField id="client-username" label="Username" is_set=Signal::derive(move || has_username) value=username clear=clear_username/>
                    <SecretField id="client-password" label="Password" is_set=Signal::derive(move || has_password) value=password clear=clear_password/>
                </div>
    }
    .into_any();
    let checks = view! {
                <CheckField id="client-tls" label="Use HTTPS" value=use_tls/>
                <CheckField id="client-default" label="Default client (used where one client is needed)" value=is_default/>
                <CheckField id="client-enabled" label="Enabled (polled)" value=enabled/>
    }
    .into_any();
    view! {
        <EditCard id="client" title on_submit=submit pending=save.pending() save_label="Save client" on_cancel error>
                {fields}
                {checks}
        </EditCard>
    }
    .into_any()
}

const PAGE: i64 = 20;

/// A client's recent snapshots, a page at a time.
#[component]
fn SnapshotHistory(id: i64, name: String, close: Callback<()>) -> impl IntoView {
    let offset = RwSignal::new(0i64);
    let page = Resource::new(move || offset.get(), move |o| list_client_snapshots(id, Some(o), Some(PAGE)));
    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">{format!("Recent snapshots of “{name}”")}</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.items.is_empty() => view! { <p>"No snapshots yet: they appear after the client has been polled."</p> }.into_any(),
                        Ok(p) => {
                            let last = (p.offset + p.items.len() as i64).min(p.total);
                            let more = last < p.total;
                            let rows = p.items.into_iter().map(|s| view! {
                                <tr>
                                    <td data-label="Polled">{format_time(&s.polled_at)}</td>
                                    <td class="num" data-label="Seeding">{s.seeding_count}</td>
                                    <td class="num" data-label="Leeching">{s.leeching_count}</td>
                                    <td class="num" data-label="Upload">{format!("{}/s", human_bytes(s.upload_speed_bps))}</td>
                                    <td class="num" data-label="Download">{format!("{}/s", human_bytes(s.download_speed_bps))}</td>
                                </tr>
                            }).collect_view();
                            view! {
                                <div class="table-wrap">
                                    <table class="stack">
                                        <thead><tr><th scope="col">"Polled"</th><th scope="col" class="num">"Seeding"</th><th scope="col" class="num">"Leeching"</th><th scope="col" class="num">"Upload"</th><th scope="col" class="num">"Download"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                                <p class="hint">{format!("{}–{} of {}", p.offset + 1, last, p.total)}</p>
                                <div class="actions">
                                    <button class="btn btn-small" type="button" disabled=p.offset == 0 on:click=move |_| offset.update(|o| *o = (*o - PAGE).max(0))>"Newer"</button>
                                    <button class="btn btn-small" type="button" disabled=!more on:click=move |_| offset.update(|o| *o += PAGE)>"Older"</button>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
            <button class="btn" type="button" on:click=move |_| close.run(())>"Close history"</button>
        </section>
    }
}
