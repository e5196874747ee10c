#!/usr/bin/env escript
%% An Erlang/OTP `ssl` TLS server for the fipsprobe tests (what Erlang and Elixir services such as
%% RabbitMQ, CouchDB or Phoenix run), started by tests/common/erlang.rs:
%%
%%   escript tls_server.escript CERT KEY PORT VERSIONS CIPHERS HONOR_ORDER LIFETIME_SECONDS
%%
%% It binds 127.0.0.1:PORT only. VERSIONS is "default" (OTP's own: TLS 1.2 and 1.3 in OTP 25)
%% or a comma list of OTP names (tlsv1,tlsv1.1,tlsv1.2,tlsv1.3); CIPHERS is "default" or "all"
%% (every suite OTP implements for those versions, ssl:cipher_suites(all, V)); HONOR_ORDER is
%% true or false (OTP's default is false: the client's order). It prints "SUITES a,b,..." (the
%% configured suites in order, IANA names from ssl:suite_to_str; for "default" the list OTP
%% documents as its default, the option itself left out) and
%% "listening", completes each handshake, closes, and halts by itself after LIFETIME_SECONDS.
-mode(compile).

main([Cert, Key, PortS, VersionsS, CiphersS, HonorS, LifetimeS]) ->
    {ok, _} = application:ensure_all_started(ssl),
    Lifetime = list_to_integer(LifetimeS),
    spawn(fun() -> timer:sleep(Lifetime * 1000), halt(0) end),
    Versions = case VersionsS of
        "default" -> proplists:get_value(supported, ssl:versions());
        _ -> [list_to_atom(V) || V <- string:tokens(VersionsS, ",")]
    end,
    Ciphers = suites(CiphersS, Versions),
    %% "default" leaves the ciphers option out: what a service that configures nothing runs.
    CipherOpt = case CiphersS of
        "default" -> [];
        _ -> [{ciphers, Ciphers}]
    end,
    Opts = CipherOpt ++ [{certfile, Cert}, {keyfile, Key}, {versions, Versions},
            {honor_cipher_order, HonorS =:= "true"},
            {ip, {127, 0, 0, 1}}, {reuseaddr, true}, {active, false}, {backlog, 64}],
    {ok, Listen} = ssl:listen(list_to_integer(PortS), Opts),
    Names = [ssl:suite_to_str(S) || S <- Ciphers],
    io:format("VERSIONS ~p~nSUITES ~s~nlistening~n", [Versions, lists:join(",", Names)]),
    accept(Listen).

%% The configured suites, in OTP's order, each once, over every enabled version (newest first,
%% as OTP's own defaults are built).
suites(Which, Versions) ->
    Kind = list_to_atom(Which),
    All = lists:append([ssl:cipher_suites(Kind, V) || V <- Versions]),
    dedup(All, []).

dedup([], Acc) -> lists:reverse(Acc);
dedup([S | Rest], Acc) ->
    case lists:member(S, Acc) of
        true -> dedup(Rest, Acc);
        false -> dedup(Rest, [S | Acc])
    end.

accept(Listen) ->
    case ssl:transport_accept(Listen) of
        {ok, Socket} ->
            Pid = spawn(fun() ->
                receive go -> ok end,
                case ssl:handshake(Socket, 5000) of
                    {ok, S} -> ssl:close(S);
                    _ -> ok
                end
            end),
            ok = ssl:controlling_process(Socket, Pid),
            Pid ! go,
            accept(Listen);
        {error, _} ->
            accept(Listen)
    end.
