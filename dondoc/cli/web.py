"""dondoc web: the web pages alone."""
import typer

from dondoc.cli import app, handles_errors


@app.command("web")
@handles_errors
def web(ctx: typer.Context, host: str = typer.Option(None, help="Default: DONDOC_WEB_HOST (127.0.0.1)."),
        port: int = typer.Option(None, help="Default: DONDOC_WEB_PORT (8000).")) -> None:
    """Serve the dashboard and forms."""
    import uvicorn

    from dondoc.web import create_app
    from dondoc.web.hardening import server_config
    context = ctx.obj
    application = create_app(context)
    host, port = host or context.settings.web_host, port or context.settings.web_port
    typer.echo(f"dondoc web on http://{host}:{port}/")
    uvicorn.Server(server_config(application, host=host, port=port, log_level="warning")).run()
